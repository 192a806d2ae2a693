"""Outbound HTTP for webhooks: where a delivery may go, and sending one signed attempt."""
