from django import forms
from django.utils.translation import gettext_lazy as _


class ErasureForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "I have checked the patient's identity and their written request, and I "
            "understand that names, contact details and free text are removed for good."
        ),
        required=True,
    )
