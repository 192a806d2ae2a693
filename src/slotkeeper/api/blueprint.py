"""The Blueprint every resource uses: the contract's pagination and a stricter body parser."""
import json

import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from slotkeeper.repositories import Page, PageRequest


class JsonBodyParser(FlaskParser):
    """webargs' parser, except that JSON Python cannot hold (nested too deeply, a number of
    thousands of digits) is a 400 rather than an escaping error, and a body in another
    format is a 415 rather than read as no body at all."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            if req.get_data(cache=True):
                flask_smorest.abort(415, message="Send the body as application/json.")
            return core.missing
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise
        except (RecursionError, ValueError):
            flask_smorest.abort(400, message="The body is JSON this service cannot read.")

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        if isinstance(error, json.JSONDecodeError) and not error.msg.startswith("Bytes decoding"):
            where = f"{error.msg} at line {error.lineno}, column {error.colno}"
        else:
            where = "it is not UTF-8 text"
        message = f"The body is not valid JSON: {where}."
        flask_smorest.abort(400, message=message, messages={"json": [message]})


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = JsonBodyParser()
    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 20, "max_page_size": 100}


def page_request(pagination_parameters) -> PageRequest:
    return PageRequest(pagination_parameters.page, pagination_parameters.page_size)


def page_items(page: Page, pagination_parameters) -> list:
    """Items of `page`; flask-smorest builds the X-Pagination header from the total."""
    pagination_parameters.item_count = page.total
    return page.items
