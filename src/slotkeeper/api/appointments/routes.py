from flask import Response
from flask.views import MethodView

from slotkeeper.api import examples
from slotkeeper.api.appointments.calendar import calendar_file
from slotkeeper.api.appointments.schemas import (
    AppointmentCreateSchema,
    AppointmentQueryArgsSchema,
    AppointmentSchema,
    IdempotencyHeaderSchema,
    RescheduleSchema,
)
from slotkeeper.api.blueprint import Blueprint, page_items, page_request
from slotkeeper.api.schemas import ConflictSchema, ErrorSchema
from slotkeeper.auth.guard import current_actor
from slotkeeper.auth.policy import ADMIN, USER, requires
from slotkeeper.context import current_repos, now, settings
from slotkeeper.service_layer import booking, checkin, history, lifecycle, reschedule
from slotkeeper.service_layer.booking import BookingRequest

blp = Blueprint(
    "appointments",
    __name__,
    url_prefix="/api/v1/appointments",
    description="Appointments: a customer's claim on seats of a slot. PENDING holds "
    "expire at expiresAt unless confirmed; BOOKED and PENDING can be "
    "cancelled, and the seats go back at once.",
)

REFUSALS = (
    "SLOT_UNAVAILABLE (fewer seats free than asked; while the slot has a waiting list, the "
    "seats its WAITING entries ask for count as taken: availableSeats - waitingSeats are "
    "free), SLOT_IN_PAST, DUPLICATE_BOOKING (this userId already holds or booked this slot), "
    "ALREADY_WAITING (this userId is on the slot's waiting list: wait for the offer, or "
    "leave the list first), SERVICE_INACTIVE, IDEMPOTENCY_IN_PROGRESS"
)
NOT_JSON = "The body is not JSON, or JSON too deeply nested or with too long numbers to read"
NOT_JSON_TYPE = "The body is not sent as application/json"
INVALID_TAKE = (
    "Validation failed (errors names each field; seats above the slot's capacity), "
    "or IDEMPOTENCY_MISMATCH: the key was used with a different body"
)
FOR_ANOTHER_USER = "userId is not the token's sub and the token lacks role admin"
TOO_MANY = (
    "Rate limit reached (only when RATE_LIMIT_BOOKING is set; one budget for book, hold "
    "and reschedule, per user); Retry-After says when to try again"
)


REPLAY_HEADER = {
    "Idempotent-Replayed": {
        "description": "true when this is the answer of an earlier request with the same "
        "Idempotency-Key and userId (no seats were taken by this one); absent otherwise",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def _answer(made):
    """201 with the appointment; a replayed answer says so in Idempotent-Replayed."""
    return made, 201, ({"Idempotent-Replayed": "true"} if made.replayed else {})


def _takes_seats(status: str):
    """The body, headers, answers and access rule that book and hold share; the answer is
    an appointment in `status`."""

    def decorate_all(view):
        return _stack(view, status)

    return decorate_all


def _stack(view, status: str):
    shared = [
        blp.arguments(AppointmentCreateSchema()),
        blp.arguments(IdempotencyHeaderSchema(), location="headers"),
        blp.response(
            201, AppointmentSchema, example=examples.appointment(status), headers=REPLAY_HEADER
        ),
        blp.alt_response(400, schema=ErrorSchema, description=NOT_JSON),
        blp.alt_response(415, schema=ErrorSchema, description=NOT_JSON_TYPE),
        blp.alt_response(404, schema=ErrorSchema, description="Unknown slot"),
        blp.alt_response(409, schema=ConflictSchema, description=REFUSALS),
        blp.alt_response(422, schema=ConflictSchema, description=INVALID_TAKE),
        blp.alt_response(403, schema=ErrorSchema, description=FOR_ANOTHER_USER),
        blp.alt_response(429, schema=ErrorSchema, description=TOO_MANY),
        requires(blp, USER),
    ]
    for decorate in reversed(shared):  # as if stacked above the view, first one outermost
        view = decorate(view)
    return view


@blp.route("/book")
class Bookings(MethodView):
    @_takes_seats("BOOKED")
    def post(self, data, headers):
        """Book seats now (BOOKED)

        With authentication on, userId may be left out: it is the token's sub; a different
        userId needs role admin (else 403).
        """
        return _answer(
            booking.book_seats(
                current_repos(),
                BookingRequest(**data),
                now(),
                actor=current_actor(),
                idempotency_key=headers.get("idempotency_key"),
            )
        )


@blp.route("/hold")
class Holds(MethodView):
    @_takes_seats("PENDING")
    def post(self, data, headers):
        """Hold seats until expiresAt (PENDING); confirm before then

        With authentication on, userId may be left out: it is the token's sub; a different
        userId needs role admin (else 403).
        """
        return _answer(
            booking.hold_seats(
                current_repos(),
                BookingRequest(**data),
                now(),
                settings().hold_ttl,
                actor=current_actor(),
                idempotency_key=headers.get("idempotency_key"),
            )
        )


@blp.route("")
class Appointments(MethodView):
    @blp.arguments(AppointmentQueryArgsSchema(), location="query")
    @blp.response(200, AppointmentSchema(many=True))
    @blp.paginate()
    @blp.alt_response(
        403,
        schema=ErrorSchema,
        description="userId names another user and the token lacks role admin",
    )
    @requires(blp, USER)
    def get(self, args, pagination_parameters):
        """Appointment history, newest first

        With authentication on, a user gets only their own appointments (a userId filter other
        than the token's sub is 403); role admin gets anyone's and may filter by userId.
        """
        page = history.list_appointments(
            current_repos(),
            page_request(pagination_parameters),
            now(),
            actor=current_actor(),
            **args,
        )
        return page_items(page, pagination_parameters)


@blp.route("/<appointment_id>")
class AppointmentById(MethodView):
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown appointment")
    @requires(blp, USER)
    def get(self, appointment_id):
        """Read an appointment with its service and slot"""
        return history.get_appointment(
            current_repos(), appointment_id, now(), actor=current_actor()
        )


@blp.route("/<appointment_id>/confirm")
class Confirmation(MethodView):
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown appointment")
    @blp.alt_response(
        409, schema=ConflictSchema, description="HOLD_EXPIRED, or INVALID_TRANSITION when cancelled"
    )
    @requires(blp, USER)
    def post(self, appointment_id):
        """Confirm a hold (PENDING to BOOKED); confirming a booking changes nothing"""
        return lifecycle.confirm_appointment(
            current_repos(), appointment_id, now(), actor=current_actor()
        )


@blp.route("/<appointment_id>/cancel")
class Cancellation(MethodView):
    @blp.response(200, AppointmentSchema, example=examples.appointment("CANCELLED"))
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown appointment")
    @blp.alt_response(409, schema=ConflictSchema, description="INVALID_TRANSITION when expired")
    @requires(blp, USER)
    def patch(self, appointment_id):
        """Cancel a hold or booking; its seats go back at once. Cancelling twice changes nothing"""
        return lifecycle.cancel_appointment(
            current_repos(), appointment_id, now(), actor=current_actor()
        )


@blp.route("/<appointment_id>/reschedule")
class Rescheduling(MethodView):
    @blp.arguments(RescheduleSchema())
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(400, schema=ErrorSchema, description=NOT_JSON)
    @blp.alt_response(415, schema=ErrorSchema, description=NOT_JSON_TYPE)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown appointment or slot")
    @blp.alt_response(
        409,
        schema=ConflictSchema,
        description=REFUSALS + "; HOLD_EXPIRED; INVALID_TRANSITION. The old seats "
        "stay untouched on refusal",
    )
    @blp.alt_response(429, schema=ErrorSchema, description=TOO_MANY)
    @requires(blp, USER)
    def post(self, data, appointment_id):
        """Move a hold or booking to another slot of the same service

        Same seats and status. A hold keeps its deadline, except that it never outlives its
        slot's start: moved to a slot that starts earlier, its expiresAt becomes
        min(expiresAt, the new slot's startTime). The seats left behind go to the old slot's
        waiting list first. An offer from a waiting list moved to another slot is no longer
        the line's: its entry becomes LEFT (leaving it then changes nothing, and the moved
        hold stays), unless the offer was confirmed before it moved (the entry stays
        ACCEPTED).
        """
        return reschedule.reschedule_appointment(
            current_repos(), appointment_id, data["slot_id"], now(), actor=current_actor()
        )


@blp.route("/<appointment_id>/ics")
class CalendarFile(MethodView):
    @blp.response(
        200,
        content_type="text/calendar",
        description="An iCalendar file (RFC 5545) with one VEVENT: UID stable for the "
        "appointment, DTSTART and DTEND in UTC, SUMMARY the service's "
        "name, LOCATION its address, STATUS TENTATIVE (PENDING), "
        "CONFIRMED (BOOKED) or CANCELLED (CANCELLED, EXPIRED), and "
        "SEQUENCE growing with every change of the appointment",
    )
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown appointment")
    @requires(blp, USER)
    def get(self, appointment_id):
        """The appointment as a calendar file"""
        populated = history.get_appointment(
            current_repos(), appointment_id, now(), actor=current_actor()
        )
        return Response(
            calendar_file(populated),
            mimetype="text/calendar",
            headers={
                "Content-Disposition": f'attachment; filename="appointment-{appointment_id}.ics"'
            },
        )


@blp.route("/<appointment_id>/attend")
class Attendance(MethodView):
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown appointment")
    @blp.alt_response(
        409,
        schema=ConflictSchema,
        description="TOO_EARLY (more than an hour before the start), TOO_LATE "
        "(after the end), INVALID_TRANSITION (not BOOKED)",
    )
    @requires(blp, ADMIN)
    def post(self, appointment_id):
        """Check in a booking (BOOKED to ATTENDED); its seats stay counted

        From one hour before the slot starts until it ends. Attending twice changes nothing.
        ATTENDED is final: cancel and reschedule answer INVALID_TRANSITION.
        """
        return checkin.attend(current_repos(), appointment_id, now(), actor=current_actor())


@blp.route("/<appointment_id>/no-show")
class NoShow(MethodView):
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown appointment")
    @blp.alt_response(
        409,
        schema=ConflictSchema,
        description="TOO_EARLY (before the start), INVALID_TRANSITION (not BOOKED)",
    )
    @requires(blp, ADMIN)
    def post(self, appointment_id):
        """Record that the customer did not come (BOOKED to NO_SHOW); its seats stay counted

        Once the slot has started. Recording it twice changes nothing. NO_SHOW is final:
        cancel and reschedule answer INVALID_TRANSITION.
        """
        return checkin.mark_no_show(current_repos(), appointment_id, now(), actor=current_actor())
