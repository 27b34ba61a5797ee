"""Reports context: figures for librarians, counted by the database, as JSON and CSV."""
