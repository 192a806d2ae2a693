from flask.views import MethodView

from slotkeeper.api.blueprint import Blueprint, page_items, page_request
from slotkeeper.api.opening_hours.schemas import (
    AppliedScheduleSchema,
    ClosedSchema,
    ClosureCreateSchema,
    ClosureSchema,
    ScheduleSchema,
)
from slotkeeper.api.schemas import ConflictSchema, ErrorSchema
from slotkeeper.auth.policy import ADMIN, PUBLIC, requires
from slotkeeper.context import current_repos, now
from slotkeeper.service_layer import opening_hours

blp = Blueprint(
    "opening hours",
    __name__,
    url_prefix="/api/v1/services",
    description="Opening hours: a service's weekly schedule, whose slots are kept laid up to "
    "its horizon, and its closures, in which no slot is laid.",
)


@blp.route("/<service_id>/schedule")
class ServiceSchedule(MethodView):
    @blp.response(200, ScheduleSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown service, or no schedule")
    @requires(blp, PUBLIC)
    def get(self, service_id):
        """Read the service's weekly schedule"""
        return opening_hours.get_schedule(current_repos(), service_id)

    @blp.arguments(ScheduleSchema)
    @blp.response(200, AppliedScheduleSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="The body is not JSON")
    @blp.alt_response(
        415, schema=ErrorSchema, description="The body is not sent as application/json"
    )
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown service")
    @blp.alt_response(409, schema=ConflictSchema, description="SERVICE_INACTIVE: archived")
    @requires(blp, ADMIN)
    def put(self, schedule, service_id):
        """Set the service's weekly schedule and lay its slots up to the horizon

        Slots are laid as POST /slots/generate lays them (local time of the service,
        correct across daylight-saving changes, stored in UTC), from now to horizonDays
        ahead; a job keeps extending the horizon (every HORIZON_JOB_SECONDS, at least daily).
        Future slots that an earlier schedule laid and this one would not lay (another time,
        another capacity, beyond the horizon) are removed, unless seats are held or booked
        on them: those stay and are listed in `kept`. Slots made by hand (POST /slots,
        /slots/generate) are never removed; a window that would overlap one, or a closure,
        is not laid and is counted in `skipped` (windows the schedule laid before are not).
        Ranges end by 23:59. A schedule that would lay more than 5000 slots up to its
        horizon is a 422 (horizonDays). An archived service takes no schedule (409
        SERVICE_INACTIVE); the job lays nothing for a service while it is archived.
        `created` and `removed` count what this request did itself: of two writes of a
        schedule at once, either may do the work.
        """
        return opening_hours.set_schedule(current_repos(), service_id, schedule, now())

    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown service")
    @requires(blp, ADMIN)
    def delete(self, service_id):
        """Stop laying slots for the service; the slots laid so far stay

        Answers 204 also when the service has no schedule.
        """
        opening_hours.delete_schedule(current_repos(), service_id, now())


@blp.route("/<service_id>/closures")
class ServiceClosures(MethodView):
    @blp.response(200, ClosureSchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown service")
    @blp.paginate()
    @requires(blp, PUBLIC)
    def get(self, service_id, pagination_parameters):
        """The service's closures, by from"""
        page = opening_hours.list_closures(
            current_repos(), service_id, page_request(pagination_parameters)
        )
        return page_items(page, pagination_parameters)

    @blp.arguments(ClosureCreateSchema)
    @blp.response(201, ClosedSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="The body is not JSON")
    @blp.alt_response(
        415, schema=ErrorSchema, description="The body is not sent as application/json"
    )
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown service")
    @requires(blp, ADMIN)
    def post(self, data, service_id):
        """Close the service from `from` to `to`: no slot is laid in it

        A slot is inside a closure when their time ranges overlap at all. Future slots
        inside it on which no seat is held or booked are removed (slots made by hand too);
        those with seats stay and are listed in `kept`. Slots that have started are left
        as they are. From then on POST /slots inside it is 409 SERVICE_CLOSED, and
        /slots/generate and the schedule skip it; this holds for a slot being created while
        the closure is written too (one of the two comes first). Closures may overlap each
        other. If the server dies before it has removed them, the expiry job removes them
        about a minute later (the write grace, then its next run).
        """
        return opening_hours.add_closure(current_repos(), service_id, data, now())


@blp.route("/<service_id>/closures/<closure_id>")
class ServiceClosureById(MethodView):
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown service or closure")
    @requires(blp, ADMIN)
    def delete(self, service_id, closure_id):
        """Reopen: remove the closure; the schedule lays its slots again at once"""
        opening_hours.remove_closure(current_repos(), service_id, closure_id, now())
