from django.core.management.base import BaseCommand, CommandError

from eoffice.audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the hash chains of the audit trail; exits non-zero when a record was edited or removed."

    def add_arguments(self, parser):
        parser.add_argument("--chain", help="Only this chain, e.g. agency:3 or global.")

    def handle(self, *args, chain=None, **options):
        problems = verify_chain(chain)
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(problems)} problem(s) in the audit trail")
        self.stdout.write(self.style.SUCCESS("Audit trail intact."))
