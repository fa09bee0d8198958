"""The demo company: a realistic organisation with people, groups, services and incidents."""
