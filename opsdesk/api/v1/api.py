from ninja import NinjaAPI

api = NinjaAPI(title="opsdesk API", version="1")
