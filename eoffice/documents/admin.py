from django.contrib import admin

from .models import DocumentType, NumberSeries, SeriesRule


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "abbreviation", "code", "is_legal_normative", "paperless", "is_copy", "is_active")
    list_filter = ("is_legal_normative", "paperless", "is_copy", "is_active")
    search_fields = ("name", "abbreviation", "code")
    prepopulated_fields = {"code": ("name",)}


@admin.register(NumberSeries)
class NumberSeriesAdmin(admin.ModelAdmin):
    list_display = ("name", "agency", "direction", "code", "year", "last_number")
    list_filter = ("direction", "year")
    search_fields = ("name", "code", "agency__name")
    # The last number is written only by number allocation; editing it by hand would skip or reuse numbers.
    readonly_fields = ("last_number",)


@admin.register(SeriesRule)
class SeriesRuleAdmin(admin.ModelAdmin):
    list_display = ("document_type", "agency", "series_code", "series_name")
    list_filter = ("agency",)
