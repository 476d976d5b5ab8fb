from tests.search.integration import fresh_index, office, worker  # noqa: F401
