from django.contrib import admin

from eoffice.orgs.scoping import visible_to

from .models import ArchivedVersion, CaseFile, DocumentText, FileEntry, RetentionPeriod, Transfer


@admin.register(RetentionPeriod)
class RetentionPeriodAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "years", "ordering")
    list_editable = ("years", "ordering")


class FileEntryInline(admin.TabularInline):
    model = FileEntry
    extra = 0
    raw_id_fields = ("added_by",)


class ScopedAdmin(admin.ModelAdmin):
    """Rows as ``visible_to`` shows them to the signed-in person (the operator sees all)."""

    def get_queryset(self, request):
        return visible_to(super().get_queryset(request), request.user)


@admin.register(CaseFile)
class CaseFileAdmin(ScopedAdmin):
    list_display = ("code", "title", "agency", "unit", "year", "retention", "status")
    list_filter = ("status", "year", "retention")
    search_fields = ("code", "title")
    raw_id_fields = ("opened_by", "closed_by", "transfer")
    inlines = [FileEntryInline]


@admin.register(Transfer)
class TransferAdmin(ScopedAdmin):
    list_display = ("agency", "at", "transferred_by")


@admin.register(ArchivedVersion)
class ArchivedVersionAdmin(ScopedAdmin):
    list_display = ("case_file", "source", "archived", "status", "done_at")
    list_filter = ("status",)
    raw_id_fields = ("source", "archived", "case_file")


@admin.register(DocumentText)
class DocumentTextAdmin(ScopedAdmin):
    list_display = ("stored_file", "method", "needs_ocr", "updated_at")
    raw_id_fields = ("stored_file", "ocr_file")
