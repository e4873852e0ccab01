from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from soriloop.inbox.demo import demo_refresh


class Command(BaseCommand):
    help = "Create or refresh the demo workspace and print its sign-in and API key."

    def handle(self, *args: Any, **options: Any) -> None:
        # a database left behind by an upgrade is brought up to date first, as serve does
        call_command("migrate", interactive=False, verbosity=0)
        login = demo_refresh()
        self.stdout.write(f"email={login.email}")
        self.stdout.write(f"password={login.password}")
        self.stdout.write(f"api_key={login.api_key}")
        self.stdout.write(f"workspace={login.workspace.name}")
