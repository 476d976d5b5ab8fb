from django.core.management.base import BaseCommand

from eoffice.demo.province import DEMO_PASSWORD, SHOWCASE_LOGINS, load_demo


class Command(BaseCommand):
    help = "Load (or bring up to date) the demo province Bình Minh with people for every role. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, quiet_logins=False, **options):
        created = load_demo()
        self.stdout.write(
            "Demo province loaded: {agencies} agencies, {units} units, {people} people created "
            "(0 means they were already there).".format(**created)
        )
        if not quiet_logins:
            self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
            for username, label in SHOWCASE_LOGINS:
                self.stdout.write(f"  {username:<22} {label}")
