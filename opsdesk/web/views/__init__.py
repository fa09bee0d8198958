"""Views: thin, they call services and selectors and render templates."""
