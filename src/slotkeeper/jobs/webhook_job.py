"""Webhook deliveries on a timer, in the same scheduler as the expiry sweep: scheduler glue.

Each run hands the events waiting in outboxes over to the webhooks, then sends the
deliveries that are due. It runs in the scheduler's thread, never in a request, so a slow
receiver never slows the request that caused an event.
"""

import logging

from flask import Flask

from slotkeeper.api.appointments.schemas import AppointmentSchema
from slotkeeper.api.waitlist.schemas import WaitlistEntrySchema
from slotkeeper.config import Settings
from slotkeeper.context import current_repos, settings, state
from slotkeeper.database.connection import is_unavailable
from slotkeeper.outbound.network import Destinations
from slotkeeper.outbound.sender import WebhookSender
from slotkeeper.service_layer.deliveries import RetryPolicy, hand_over_events, send_due

log = logging.getLogger(__name__)
JOB_ID = "webhook-deliveries"
_appointment = AppointmentSchema()
_entry = WaitlistEntrySchema()


def sender_for(config: Settings) -> WebhookSender:
    return WebhookSender(
        config.webhook_timeout_seconds, Destinations(config.webhook_allow_private_networks)
    )


def policy_for(config: Settings) -> RetryPolicy:
    return RetryPolicy(config.webhook_retry_base_seconds, config.webhook_max_attempts)


def run_webhooks(app: Flask) -> None:
    """One run; a database outage is logged in one line and the next run tries again."""
    with app.app_context():
        try:
            repos, config = current_repos(), settings()
            handed = hand_over_events(repos, _appointment.dump, _entry.dump)
            report = send_due(repos, sender_for(config), policy_for(config), state().clock)
        except Exception as err:
            if not is_unavailable(err):
                raise
            log.warning("webhook run skipped, the database is unavailable: %s", type(err).__name__)
            return
        if handed or report.succeeded or report.failed:
            log.info(
                "webhooks: %d event(s) handed over, %d attempt(s) succeeded, %d failed",
                handed,
                report.succeeded,
                report.failed,
                extra={
                    "event": "webhooks",
                    "handedOver": handed,
                    "succeeded": report.succeeded,
                    "failed": report.failed,
                },
            )
