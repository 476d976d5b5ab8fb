from django.core.management.base import BaseCommand, CommandError

from eoffice.audit.services import verify_and_anchor, verify_chain


class Command(BaseCommand):
    help = ("Verify the keyed hash chains of the audit trail against the last checkpoint outside the database; exits "
            "non-zero when a record was edited, removed, recomputed or the tail cut. --anchor: then write a "
            "checkpoint (only over an intact trail).")

    def add_arguments(self, parser):
        parser.add_argument("--chain", help="Only this chain, e.g. agency:3 or global.")
        parser.add_argument("--anchor", action="store_true",
                            help="Append a checkpoint of every chain's head to AUDIT_ANCHOR_PATH when intact.")

    def handle(self, *args, chain=None, anchor=False, **options):
        if anchor and chain:
            raise CommandError("--anchor checkpoints every chain; leave out --chain.")
        problems = verify_and_anchor() if anchor else verify_chain(chain)
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(problems)} problem(s) in the audit trail")
        self.stdout.write(self.style.SUCCESS("Audit trail intact." + (" Checkpoint written." if anchor else "")))
