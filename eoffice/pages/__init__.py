"""The web pages (views, forms, URL configurations) of every area; they call the domain's actions and queries."""
