from flask.views import MethodView

from slotkeeper.api.appointments.schemas import AppointmentSchema
from slotkeeper.api.blueprint import Blueprint, page_items, page_request
from slotkeeper.api.schemas import ConflictSchema, ErrorSchema
from slotkeeper.api.slots.schemas import (
    GeneratedSlotsSchema,
    SlotCreateSchema,
    SlotGenerateSchema,
    SlotQueryArgsSchema,
    SlotSchema,
)
from slotkeeper.auth.guard import current_actor
from slotkeeper.auth.policy import ADMIN, PUBLIC, requires
from slotkeeper.context import current_repos, now
from slotkeeper.service_layer import catalog, history

blp = Blueprint(
    "slots",
    __name__,
    url_prefix="/api/v1/slots",
    description="Slots: time windows of a service with a number of seats. status is "
    "AVAILABLE while seats are free, LOCKED when the rest are held, "
    "BOOKED when all are booked.",
)


@blp.route("")
class Slots(MethodView):
    @blp.arguments(SlotQueryArgsSchema(), location="query")
    @blp.response(200, SlotSchema(many=True))
    @blp.paginate()
    @requires(blp, PUBLIC)
    def get(self, args, pagination_parameters):
        """List slots, sorted by start time"""
        page = catalog.list_slots(
            current_repos(), page_request(pagination_parameters), now(), **args
        )
        return page_items(page, pagination_parameters)

    @blp.arguments(SlotCreateSchema())
    @blp.response(201, SlotSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="The body is not JSON")
    @blp.alt_response(
        415, schema=ErrorSchema, description="The body is not sent as application/json"
    )
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown service")
    @blp.alt_response(
        409, schema=ConflictSchema, description="SLOT_EXISTS at that startTime, or SERVICE_INACTIVE"
    )
    @requires(blp, ADMIN)
    def post(self, data):
        """Create one slot"""
        return catalog.create_slot(current_repos(), data, now())


@blp.route("/generate")
class SlotGeneration(MethodView):
    @blp.arguments(SlotGenerateSchema())
    @blp.response(201, GeneratedSlotsSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="The body is not JSON")
    @blp.alt_response(
        415, schema=ErrorSchema, description="The body is not sent as application/json"
    )
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown service")
    @blp.alt_response(409, schema=ConflictSchema, description="SERVICE_INACTIVE")
    @requires(blp, ADMIN)
    def post(self, data):
        """Generate slots over a date range, in the service's time zone.

        Slots are laid back to back (plus gapMinutes) from dayStart while they end by dayEnd,
        local time of the service; each lasts exactly durationMinutes. On a daylight-saving
        day a dayStart that does not exist starts at the first instant after the change.
        Start times the service already has are skipped, so the call is idempotent.
        More than 5000 slots in one call is a 422.
        """
        created, skipped = catalog.generate_slots(
            current_repos(), data["service_id"], data["plan"], data["capacity"], now()
        )
        return {"created": len(created), "skipped": skipped, "slots": created}


@blp.route("/<slot_id>")
class SlotById(MethodView):
    @blp.response(200, SlotSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown slot")
    @requires(blp, PUBLIC)
    def get(self, slot_id):
        """Read a slot"""
        return catalog.get_slot(current_repos(), slot_id)

    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown slot")
    @blp.alt_response(
        409,
        schema=ConflictSchema,
        description="HAS_ACTIVE_APPOINTMENTS: seats are held or booked, or people are on "
        "its waiting list (they leave it first)",
    )
    @requires(blp, ADMIN)
    def delete(self, slot_id):
        """Delete a slot on which no seat is held or booked"""
        catalog.delete_slot(current_repos(), slot_id, now())


@blp.route("/<slot_id>/appointments")
class SlotAppointments(MethodView):
    @blp.response(200, AppointmentSchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown slot")
    @blp.paginate()
    @requires(blp, ADMIN)
    def get(self, slot_id, pagination_parameters):
        """The slot's appointments, any status, oldest first

        It lists other people's appointments, so with authentication on it needs role admin;
        a user finds their own with GET /appointments?slotId=...
        """
        page = history.slot_appointments(
            current_repos(),
            slot_id,
            page_request(pagination_parameters),
            now(),
            actor=current_actor(),
        )
        return page_items(page, pagination_parameters)
