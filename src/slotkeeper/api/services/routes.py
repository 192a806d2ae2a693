from flask.views import MethodView

from slotkeeper.api.blueprint import Blueprint, page_items, page_request
from slotkeeper.api.schemas import ConflictSchema, ErrorSchema
from slotkeeper.api.services.schemas import (
    ServiceCreateSchema,
    ServiceQueryArgsSchema,
    ServiceSchema,
    ServiceUpdateSchema,
)
from slotkeeper.auth.policy import ADMIN, PUBLIC, requires
from slotkeeper.context import current_repos, now
from slotkeeper.service_layer import catalog

blp = Blueprint(
    "services",
    __name__,
    url_prefix="/api/v1/services",
    description="Services: whatever gets booked (a doctor, a salon chair, a hall). "
    "Archived services stay readable but take no new slots or "
    "appointments.",
)


@blp.route("")
class Services(MethodView):
    @blp.arguments(ServiceQueryArgsSchema(), location="query")
    @blp.response(200, ServiceSchema(many=True))
    @blp.paginate()
    @requires(blp, PUBLIC)
    def get(self, args, pagination_parameters):
        """List services, sorted by name"""
        page = catalog.list_services(current_repos(), page_request(pagination_parameters), **args)
        return page_items(page, pagination_parameters)

    @blp.arguments(ServiceCreateSchema())
    @blp.response(201, ServiceSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="The body is not JSON")
    @blp.alt_response(
        415, schema=ErrorSchema, description="The body is not sent as application/json"
    )
    @requires(blp, ADMIN)
    def post(self, data):
        """Create a service"""
        return catalog.create_service(current_repos(), data, now())


@blp.route("/<service_id>")
class ServiceById(MethodView):
    @blp.response(200, ServiceSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown service")
    @requires(blp, PUBLIC)
    def get(self, service_id):
        """Read a service"""
        return catalog.get_service(current_repos(), service_id)

    @blp.arguments(ServiceUpdateSchema())
    @blp.response(200, ServiceSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="The body is not JSON")
    @blp.alt_response(
        415, schema=ErrorSchema, description="The body is not sent as application/json"
    )
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown service")
    @blp.alt_response(
        409,
        schema=ConflictSchema,
        description='HAS_ACTIVE_APPOINTMENTS: {"active": false} archives, '
        "under the same rule as DELETE",
    )
    @requires(blp, ADMIN)
    def patch(self, data, service_id):
        """Change some fields of a service; {"active": true} restores an archived one"""
        return catalog.update_service(current_repos(), service_id, data, now())

    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown service")
    @blp.alt_response(
        409,
        schema=ConflictSchema,
        description="HAS_ACTIVE_APPOINTMENTS: held or booked seats on future slots, or "
        "people waiting for one of them",
    )
    @requires(blp, ADMIN)
    def delete(self, service_id):
        """Archive a service: it stays readable and takes no new slots or appointments

        Refused with 409 HAS_ACTIVE_APPOINTMENTS while seats of its future slots are held or
        booked by PENDING or BOOKED appointments (holds past their deadline do not count, nor
        do ATTENDED or NO_SHOW ones: a booking checked in before its slot starts is history);
        archiving an archived service is 204 again. It is refused the same way while anyone
        waits for a future slot of the service (WAITING, or offered seats not yet made into
        a hold): an archived service's slots make no offers, so they would wait forever;
        they leave the list first (DELETE /waitlist/{id}). Archive and booking are
        linearizable: every booking, hold, reschedule and waiting-list join either happens
        before the archive (which is then refused, the booking standing) or after it
        (refused with SERVICE_INACTIVE, no seat kept, no place in line). A refused archive
        changes nothing anyone can see: bookings made while it decides are never turned
        away because of it, and the service's active and updatedAt stay as they were.
        """
        catalog.archive_service(current_repos(), service_id, now())
