"""Under `make run` the OpenAPI document's example ids name demo data that exists
(issue 15, item 2)."""

import requests


def test_make_run_examples_name_existing_demo_objects(live_server):
    document = requests.get(f"{live_server.url}/openapi.json", timeout=10).json()
    item = document["paths"]["/api/v1/slots/{slot_id}"]
    slot_id = next(p["example"] for p in item["parameters"] if p["name"] == "slot_id")
    slot = requests.get(f"{live_server.url}/api/v1/slots/{slot_id}", timeout=10)
    assert slot.status_code == 200 and slot.json()["availableSeats"] > 0
    parameters = document["paths"]["/api/v1/slots"]["get"]["parameters"]
    service_id = next(p["schema"]["example"] for p in parameters if p["name"] == "serviceId")
    listed = requests.get(
        f"{live_server.url}/api/v1/slots", params={"serviceId": service_id}, timeout=10
    ).json()
    assert listed and {s["serviceId"] for s in listed} == {service_id}
    item = document["paths"]["/api/v1/appointments/{appointment_id}"]
    appointment_id = next(p["example"] for p in item["parameters"] if p["name"] == "appointment_id")
    appointment = requests.get(
        f"{live_server.url}/api/v1/appointments/{appointment_id}", timeout=10
    )
    assert appointment.status_code == 200 and appointment.json()["status"] == "BOOKED"
