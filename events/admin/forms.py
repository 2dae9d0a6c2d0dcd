from django import forms

from ..addresses import check_url
from ..errors import UnsafeURL
from ..models import EventType, WebhookEndpoint
from ..services import join_event_types

# A test event is sent by the admin action to one endpoint; nobody subscribes to it.
SUBSCRIBABLE = [(value, label) for value, label in EventType.choices if value != EventType.TEST]


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(
        max_length=2000, assume_scheme="https", help_text=WebhookEndpoint._meta.get_field("url").help_text
    )
    event_types = forms.MultipleChoiceField(
        choices=SUBSCRIBABLE,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event type, including types added later.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "format", "event_types", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["event_types"] = self.instance.event_type_list

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            check_url(url)
        except UnsafeURL as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url

    def clean_event_types(self):
        return join_event_types(self.cleaned_data["event_types"])
