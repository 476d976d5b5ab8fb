"""Full-text search of the archive: a small public surface over the embedded and Elasticsearch backends."""
