"""Swagger UI from the swagger-ui-bundle package's own files: no CDN, works offline."""
from flask import Blueprint, Flask
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/api-docs/assets/"


def register_docs_assets(app: Flask) -> None:
    assets = Blueprint("swagger_ui_assets", __name__, static_folder=str(swagger_ui_path),
                       static_url_path=ASSETS_URL.rstrip("/"))
    app.register_blueprint(assets)
