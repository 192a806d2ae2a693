"""The Blueprint every resource uses: the contract's pagination and a stricter body parser."""

import json
import re

import flask_smorest
from flask import Flask, request
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

    # flask-smorest's doc() and alt_response() only document, yet wrap the view in a function
    # that calls it through: nine of them on book and hold, each a frame and an app-context
    # lookup per request, and nine frames more to unwind for every refusal. The documentation
    # they make is kept on the view itself instead, where the later decorators read it.
    def doc(self, **kwargs):
        return _documenting_only(super().doc(**kwargs))

    def alt_response(self, status_code, response=None, **kwargs):
        return _documenting_only(super().alt_response(status_code, response, **kwargs))


def _documenting_only(decorate):
    def decorator(view):
        view._apidoc = decorate(view)._apidoc  # a new dict: the one `view` had is left as it was
        return view

    return decorator


def page_request(pagination_parameters) -> PageRequest:
    return PageRequest(pagination_parameters.page, pagination_parameters.page_size)


def page_items(page: Page, pagination_parameters) -> list:
    """Items of `page`; flask-smorest builds the X-Pagination header from the total."""
    pagination_parameters.item_count = page.total
    return page.items


FLASK_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


class QueryParameters:
    """The query parameters each operation documents, read from the OpenAPI document once:
    a request with any other is refused as an unknown body field is (422, "Unknown field.")."""

    def __init__(self, api: flask_smorest.Api):
        self.api = api
        self.by_operation: dict[tuple[str, str], frozenset[str]] | None = None

    def _load(self) -> dict[tuple[str, str], frozenset[str]]:
        operations = {}
        for path, item in self.api.spec.to_dict().get("paths", {}).items():
            shared = [p["name"] for p in item.get("parameters", []) if p.get("in") == "query"]
            for method, operation in item.items():
                if method == "parameters":
                    continue
                names = [
                    p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"
                ]
                operations[(path, method.upper())] = frozenset(shared + names)
        return operations

    def allowed(self, rule: str, method: str) -> frozenset[str] | None:
        """The names the operation takes; None for a route the document does not describe."""
        if self.by_operation is None:
            self.by_operation = self._load()
        return self.by_operation.get((FLASK_VARIABLE.sub(r"{\1}", rule), method))

    def check(self) -> None:
        if not request.args or request.url_rule is None:
            return
        allowed = self.allowed(request.url_rule.rule, request.method)
        if allowed is None:
            return
        unknown = [name for name in request.args if name not in allowed]
        if unknown:
            takes = ", ".join(sorted(allowed)) if allowed else "none"
            flask_smorest.abort(
                422,
                messages={"query": {name: ["Unknown field."] for name in unknown}},
                message=f"{', '.join(unknown)}: not a query parameter of this endpoint "
                f"(it takes: {takes})",
            )


def reject_unknown_query_parameters(app: Flask, api: flask_smorest.Api) -> None:
    app.before_request(QueryParameters(api).check)
