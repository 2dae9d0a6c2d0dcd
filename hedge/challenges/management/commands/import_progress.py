from django.core.management.base import BaseCommand, CommandError

from hedge.challenges.services.imports import ImportValidationError, import_progress
from hedge.challenges.services.locks import ProgressWriteInProgress


class Command(BaseCommand):
    help = (
        "Upsert challenge progress from a CSV file with the header cluster_id,challenge_code,value. "
        "Every row is validated first; if any is bad, every error is printed with its line number "
        "and nothing is written (the first 1000 are printed, with the count of all). Values are whole numbers "
        "from 0 to 1,000,000,000,000. Changes are recorded in challenge_progress_history."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the CSV file (UTF-8)")

    def handle(self, *args, file, **options):
        try:
            # Binary: the import decodes line by line, so a byte that is not UTF-8 is reported with its line.
            with open(file, "rb") as stream:
                result = import_progress(stream)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from exc
        except ProgressWriteInProgress as exc:
            raise CommandError(f"{exc}; nothing was written, try again when it has finished") from exc
        except ImportValidationError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            if exc.count > len(exc.errors):
                self.stderr.write(f"... and {exc.count - len(exc.errors)} more")
            raise CommandError(f"{exc.count} error(s) in {file}; nothing was written") from exc
        self.stdout.write(f"inserted {result.inserted}, updated {result.updated}, unchanged {result.unchanged}")
        for error in result.hook_errors:
            self.stderr.write(f"post-import hook failed: {error}")
        if result.hook_errors:
            raise CommandError("progress was imported, but a post-import hook failed (see above)")
