from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    page_size: int = 20

    @property
    def skip(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int


def fetch_page(queryset, page: PageRequest) -> Page:
    """One page of a MongoEngine queryset and the total count of the query."""
    total = queryset.count()
    if page.skip >= total:  # also keeps a huge page number from overflowing MongoDB's skip
        return Page([], total)
    return Page(list(queryset.skip(page.skip).limit(page.page_size)), total)
