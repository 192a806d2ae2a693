"""The Blueprint every resource uses, with the contract's pagination defaults."""
import flask_smorest

from slotkeeper.repositories import Page, PageRequest


class Blueprint(flask_smorest.Blueprint):
    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 20, "max_page_size": 100}


def page_request(pagination_parameters) -> PageRequest:
    return PageRequest(pagination_parameters.page, pagination_parameters.page_size)


def page_items(page: Page, pagination_parameters) -> list:
    """Items of `page`; flask-smorest builds the X-Pagination header from the total."""
    pagination_parameters.item_count = page.total
    return page.items
