from flask.views import MethodView

from slotkeeper.api import examples
from slotkeeper.api.blueprint import Blueprint, page_items, page_request
from slotkeeper.api.schemas import ConflictSchema, ErrorSchema
from slotkeeper.api.waitlist.schemas import (
    WaitlistEntrySchema,
    WaitlistJoinSchema,
    WaitlistQueryArgsSchema,
)
from slotkeeper.auth.guard import current_actor
from slotkeeper.auth.policy import ADMIN, USER, requires
from slotkeeper.context import current_repos, now, settings
from slotkeeper.service_layer import waitlist
from slotkeeper.service_layer.waitlist import JoinRequest

blp = Blueprint(
    "waitlist",
    __name__,
    url_prefix="/api/v1",
    description="Waiting lists: when a slot is full, a user may wait for it. Seats freed "
    "while people wait (a cancellation, an expiry, a reschedule away) are offered to the "
    "first of them in join order, strictly (an entry whose seats are not free holds up "
    "those behind it), as a hold of WAITLIST_OFFER_SECONDS (default: the hold time, and "
    "never past the slot's start) to be confirmed like any hold. Nobody else can take the "
    "seats the waiting entries ask for. No offers are made once the slot has started.",
)

JOIN_REFUSALS = (
    "SLOT_AVAILABLE (this user could book the seats now: book or hold instead), "
    "ALREADY_WAITING, DUPLICATE_BOOKING (this user holds or booked seats on the slot), "
    "SLOT_IN_PAST, SERVICE_INACTIVE, NOTICE_TOO_SHORT, TOO_FAR_AHEAD, USER_LIMIT_REACHED "
    "(the service's maxActivePerUser: a place in line counts as the appointment its offer "
    "will be)"
)


@blp.route("/slots/<slot_id>/waitlist")
class SlotWaitlist(MethodView):
    @blp.arguments(WaitlistJoinSchema)
    @blp.response(201, WaitlistEntrySchema, example=examples.ENTRY)
    @blp.alt_response(400, schema=ErrorSchema, description="The body is not JSON")
    @blp.alt_response(
        415, schema=ErrorSchema, description="The body is not sent as application/json"
    )
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown slot")
    @blp.alt_response(409, schema=ConflictSchema, description=JOIN_REFUSALS)
    @blp.alt_response(
        422, schema=ConflictSchema, description="Validation failed (seats above the capacity)"
    )
    @blp.alt_response(
        403,
        schema=ErrorSchema,
        description="userId is not the token's sub and the token lacks role admin",
    )
    @requires(blp, USER)
    def post(self, data, slot_id):
        """Wait for seats of a full slot

        The entry joins at the end of the line (WAITING). While it waits, a user cannot book
        or hold the slot (409 ALREADY_WAITING): they wait for the offer, or leave the list.

        The user limit of a service (maxActivePerUser) counts a place in line as the PENDING
        appointment its offer will be, from the moment it joins: a user at the limit cannot
        join (409 USER_LIMIT_REACHED, also under concurrency), and a waiting user's books
        and holds count it. So an offer never takes a user past the limit. The place stops
        counting when the entry leaves, when its offer is declined (cancelled) or runs out,
        and when the slot starts; an accepted offer counts as the booking it is.

        A slot of an archived service cannot be waited for (409 SERVICE_INACTIVE), also when
        the archive happens while the join is under way; and a service cannot be archived
        while anyone waits for one of its future slots (DELETE /services/{id}: 409
        HAS_ACTIVE_APPOINTMENTS).
        """
        request = JoinRequest(slot_id, data["user_id"], data["seats"])
        return waitlist.join_waitlist(
            current_repos(),
            request,
            now(),
            settings().waitlist_offer_ttl,
            actor=current_actor(),
        )

    @blp.response(200, WaitlistEntrySchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown slot")
    @blp.paginate()
    @requires(blp, ADMIN)
    def get(self, slot_id, pagination_parameters):
        """The slot's waiting-list entries, in the order they joined (any status)"""
        page = waitlist.slot_entries(
            current_repos(), slot_id, page_request(pagination_parameters), now()
        )
        return page_items(page, pagination_parameters)


@blp.route("/waitlist")
class Waitlist(MethodView):
    @blp.arguments(WaitlistQueryArgsSchema, location="query")
    @blp.response(200, WaitlistEntrySchema(many=True))
    @blp.paginate()
    @blp.alt_response(
        403,
        schema=ErrorSchema,
        description="userId names another user and the token lacks role admin",
    )
    @requires(blp, USER)
    def get(self, args, pagination_parameters):
        """Waiting-list entries, newest first

        A user gets only their own entries; role admin gets anyone's and may filter by userId.
        """
        page = waitlist.list_entries(
            current_repos(),
            page_request(pagination_parameters),
            now(),
            actor=current_actor(),
            **args,
        )
        return page_items(page, pagination_parameters)


@blp.route("/waitlist/<entry_id>")
class WaitlistEntryById(MethodView):
    @blp.response(200, WaitlistEntrySchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown entry, or someone else's")
    @requires(blp, USER)
    def get(self, entry_id):
        """Read a waiting-list entry"""
        return waitlist.get_entry(current_repos(), entry_id, now(), actor=current_actor())

    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown entry, or someone else's")
    @blp.alt_response(
        409,
        schema=ConflictSchema,
        description="INVALID_TRANSITION: the entry is ACCEPTED or EXPIRED (its offer was "
        "confirmed, or ran out)",
    )
    @requires(blp, USER)
    def delete(self, entry_id):
        """Leave the waiting list

        WAITING or OFFERED becomes LEFT; the positions behind move up. An offer's hold is
        cancelled and its seats pass to the next in line. Leaving twice changes nothing. An
        entry whose offer was rescheduled to another slot has left already (LEFT): leaving
        it changes nothing, the moved hold stays.
        """
        waitlist.leave_waitlist(current_repos(), entry_id, now(), actor=current_actor())
