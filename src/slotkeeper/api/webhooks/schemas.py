from urllib.parse import urlsplit

from marshmallow import ValidationError, fields, validate

from slotkeeper.api import examples
from slotkeeper.api.fields import ObjectIdString, Text, UtcDateTime
from slotkeeper.api.schemas import ApiSchema
from slotkeeper.domain.events import SUBSCRIBABLE, DeliveryStatus

URL_EXPECTED = "An http or https URL with a host, like https://example.com/webhooks."
EVENTS_EXPECTED = f"A list of event types, among: {', '.join(SUBSCRIBABLE)}."


def http_url(value: str) -> None:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises on a port out of range
    except ValueError:
        raise ValidationError(URL_EXPECTED) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise ValidationError(URL_EXPECTED)


def _url(**kwargs) -> Text:
    return Text(
        validate=[validate.Length(1, 2000), http_url],
        metadata={
            "example": examples.WEBHOOK_URL,
            "description": "Where events are POSTed. Its host must resolve to "
            "public addresses (not loopback, private, link-local "
            "or multicast) unless the service allows private "
            "networks; redirects are not followed",
        },
        **kwargs,
    )


def _events(**kwargs) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(SUBSCRIBABLE, error=EVENTS_EXPECTED)),
        validate=validate.Length(min=1, error="At least one event type."),
        metadata={
            "example": examples.WEBHOOK["events"],
            "description": "The event types to receive (every one when left out); "
            "`ping` is always sent to the webhook pinged",
        },
        **kwargs,
    )


def _description(**kwargs) -> Text:
    return Text(
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"example": examples.WEBHOOK["description"]},
        **kwargs,
    )


class WebhookCreateSchema(ApiSchema):
    url = _url(required=True)
    events = _events()
    description = _description()


class WebhookUpdateSchema(ApiSchema):
    """Any of these; absent fields stay as they are."""

    url = _url()
    events = _events()
    description = _description()
    active = fields.Boolean(
        metadata={"example": True, "description": "An inactive webhook receives no events"}
    )


class WebhookSchema(ApiSchema):
    id = ObjectIdString(examples.WEBHOOK_ID, dump_only=True)
    url = fields.String(metadata={"example": examples.WEBHOOK_URL})
    events = fields.List(fields.String(), metadata={"example": examples.WEBHOOK["events"]})
    description = fields.String(
        allow_none=True, metadata={"example": examples.WEBHOOK["description"]}
    )
    active = fields.Boolean(metadata={"example": True})
    created_at = UtcDateTime(examples.CREATED, data_key="createdAt")
    updated_at = UtcDateTime(examples.CREATED, data_key="updatedAt")


class SubscribedWebhookSchema(WebhookSchema):
    secret = fields.String(
        metadata={
            "example": examples.SECRET,
            "description": "The signing secret: `whsec_` and base64. Shown in this answer only; "
            "keep it to verify the `webhook-signature` of every delivery",
        }
    )


class DeliverySchema(ApiSchema):
    id = ObjectIdString(examples.DELIVERY_ID, dump_only=True)
    event_id = fields.String(
        data_key="eventId",
        metadata={
            "example": examples.DELIVERY["eventId"],
            "description": "Sent as the `webhook-id` header, the same on every attempt",
        },
    )
    event_type = fields.String(data_key="eventType", metadata={"example": "appointment.booked"})
    status = fields.String(
        validate=validate.OneOf([s.value for s in DeliveryStatus]),
        metadata={"example": "SUCCEEDED"},
    )
    attempts = fields.Integer(metadata={"example": 1})
    last_status_code = fields.Integer(
        data_key="lastStatusCode", allow_none=True, metadata={"example": 204}
    )
    last_error = fields.String(data_key="lastError", allow_none=True, metadata={"example": None})
    next_attempt_at = UtcDateTime(
        None,
        data_key="nextAttemptAt",
        allow_none=True,
        metadata={"example": None, "description": "When the next attempt is due, while PENDING"},
    )
    created_at = UtcDateTime(examples.CREATED, data_key="createdAt")
    delivered_at = UtcDateTime(examples.CREATED, data_key="deliveredAt", allow_none=True)


class DeliveryQueryArgsSchema(ApiSchema):
    status = fields.String(validate=validate.OneOf([s.value for s in DeliveryStatus]))
