from flask.views import MethodView

from slotkeeper.api import examples
from slotkeeper.api.blueprint import Blueprint, page_items, page_request
from slotkeeper.api.schemas import ErrorSchema
from slotkeeper.api.webhooks.schemas import (
    DeliveryQueryArgsSchema,
    DeliverySchema,
    SubscribedWebhookSchema,
    WebhookCreateSchema,
    WebhookSchema,
    WebhookUpdateSchema,
)
from slotkeeper.auth.policy import ADMIN, requires
from slotkeeper.context import current_repos, now, settings
from slotkeeper.outbound.network import Destinations
from slotkeeper.service_layer import webhooks

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1/webhooks",
    description="Webhooks: other systems follow appointments. Each event is POSTed to every "
    "active webhook that follows its type, signed as the Standard Webhooks "
    "specification says (headers `webhook-id`, `webhook-timestamp`, "
    "`webhook-signature`: `v1,` and base64 HMAC-SHA256 with the secret of "
    '`{webhook-id}.{webhook-timestamp}.{body}`). The body is `{"id": "evt_...", '
    '"type", "timestamp", "data"}`, data being the Appointment as the API '
    "returns it (plus `previousSlotId` for `appointment.rescheduled`). At least "
    "once: a receiver dedupes by `webhook-id`. A 2xx answer within "
    "WEBHOOK_TIMEOUT_SECONDS is success; anything else (a redirect too: none is "
    "followed) is retried after WEBHOOK_RETRY_BASE_SECONDS, doubling, until "
    "WEBHOOK_MAX_ATTEMPTS attempts, then the delivery is FAILED. Deliveries are sent "
    "by a background job, never by the request that caused the event.",
)

NOT_JSON = "The body is not JSON"
UNSAFE_URL = (
    "Validation failed (errors names each field); `url` also when its host does not "
    "resolve, or resolves to a loopback, private, link-local or multicast address"
)


def destinations() -> Destinations:
    return Destinations(settings().webhook_allow_private_networks)


@blp.route("")
class Webhooks(MethodView):
    @blp.response(200, WebhookSchema(many=True))
    @blp.paginate()
    @requires(blp, ADMIN)
    def get(self, pagination_parameters):
        """List webhooks, oldest first (secrets are never shown again)"""
        page = webhooks.list_webhooks(current_repos(), page_request(pagination_parameters))
        return page_items(page, pagination_parameters)

    @blp.arguments(WebhookCreateSchema())
    @blp.response(
        201, SubscribedWebhookSchema, example={**examples.WEBHOOK, "secret": examples.SECRET}
    )
    @blp.alt_response(400, schema=ErrorSchema, description=NOT_JSON)
    @blp.alt_response(
        415, schema=ErrorSchema, description="The body is not sent as application/json"
    )
    @blp.alt_response(422, schema=ErrorSchema, description=UNSAFE_URL)
    @requires(blp, ADMIN)
    def post(self, data):
        """Subscribe: the answer holds the signing secret, shown here only"""
        return webhooks.subscribe(current_repos(), data, now(), destinations()), 201


@blp.route("/<webhook_id>")
class WebhookById(MethodView):
    @blp.response(200, WebhookSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown webhook")
    @requires(blp, ADMIN)
    def get(self, webhook_id):
        """Read a webhook (without its secret)"""
        return webhooks.get_webhook(current_repos(), webhook_id)

    @blp.arguments(WebhookUpdateSchema())
    @blp.response(200, WebhookSchema)
    @blp.alt_response(400, schema=ErrorSchema, description=NOT_JSON)
    @blp.alt_response(
        415, schema=ErrorSchema, description="The body is not sent as application/json"
    )
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown webhook")
    @blp.alt_response(422, schema=ErrorSchema, description=UNSAFE_URL)
    @requires(blp, ADMIN)
    def patch(self, data, webhook_id):
        """Change a webhook's url, events, description or active"""
        return webhooks.change_webhook(current_repos(), webhook_id, data, now(), destinations())

    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown webhook")
    @requires(blp, ADMIN)
    def delete(self, webhook_id):
        """Unsubscribe; the deliveries still pending are dropped"""
        webhooks.unsubscribe(current_repos(), webhook_id)


@blp.route("/<webhook_id>/ping")
class Ping(MethodView):
    @blp.response(
        202,
        DeliverySchema,
        example={
            **examples.DELIVERY,
            "eventType": "ping",
            "status": "PENDING",
            "attempts": 0,
            "lastStatusCode": None,
            "deliveredAt": None,
            "nextAttemptAt": examples.CREATED,
        },
    )
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown webhook")
    @requires(blp, ADMIN)
    def post(self, webhook_id):
        """Send a `ping` event to this webhook now, whatever events it follows

        The answer is its delivery, PENDING: the background job sends it within
        WEBHOOK_JOB_SECONDS. The ping's data is `{"webhookId", "url"}`.
        """
        return webhooks.ping(current_repos(), webhook_id, now())


@blp.route("/<webhook_id>/deliveries")
class Deliveries(MethodView):
    @blp.arguments(DeliveryQueryArgsSchema(), location="query")
    @blp.response(200, DeliverySchema(many=True))
    @blp.paginate()
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown webhook")
    @requires(blp, ADMIN)
    def get(self, args, webhook_id, pagination_parameters):
        """One delivery per event sent to this webhook, newest first"""
        page = webhooks.list_deliveries(
            current_repos(), webhook_id, page_request(pagination_parameters), **args
        )
        return page_items(page, pagination_parameters)


@blp.route("/<webhook_id>/deliveries/<delivery_id>/redeliver")
class Redelivery(MethodView):
    @blp.response(
        202,
        DeliverySchema,
        example={
            **examples.DELIVERY,
            "status": "PENDING",
            "attempts": 0,
            "nextAttemptAt": examples.CREATED,
            "deliveredAt": None,
        },
    )
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown webhook or delivery")
    @requires(blp, ADMIN)
    def post(self, webhook_id, delivery_id):
        """Send that event again, with the same body and `webhook-id`

        The delivery is PENDING again, due now, with a fresh count of attempts.
        """
        return webhooks.redeliver(current_repos(), webhook_id, delivery_id, now())
