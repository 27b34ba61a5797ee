from smartlib.cli import app

app()
