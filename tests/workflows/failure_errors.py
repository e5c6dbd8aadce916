"""A project's own exception, which its worker fails workflows on
(``tests.workflows.failure_types``)."""


class OutOfStock(Exception):
    """The item asked for is sold out."""
