from flask.views import MethodView
from marshmallow import Schema, fields

from slotkeeper.api.blueprint import Blueprint
from slotkeeper.context import state
from slotkeeper.database.connection import ping

blp = Blueprint("operations", __name__, url_prefix="/api/v1", description="Operations")


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})
    database = fields.String(metadata={"example": "ok", "description": "ok or unavailable"})
    engine = fields.String(metadata={"example": "embedded", "description": "embedded or mongodb"})


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="The database does not answer")
    def get(self):
        """Liveness and database reachability"""
        up = ping()
        body = {
            "status": "ok" if up else "degraded",
            "database": "ok" if up else "unavailable",
            "engine": state().engine,
        }
        return body, 200 if up else 503
