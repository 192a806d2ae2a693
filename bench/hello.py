"""The yardstick: a bare Flask app answering one small JSON body, served by the benchmark on
the same gunicorn settings as slotkeeper."""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    return {"status": "ok"}
