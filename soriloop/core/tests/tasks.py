from django_tasks import task


@task()
def record_ping(note: str) -> str:
    return f"pong: {note}"
