from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("Code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        max_length=20,
        error_messages={"invalid": _("Type the 6 digits your app shows.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autofocus": True,
                "maxlength": 7,
            }
        ),
    )

    def clean_token(self) -> str:
        return str(self.cleaned_data["token"]).strip()


class _UserNameLength:
    """A user name longer than any account's is refused beside the field before any
    login attempt is made: Django's login form sets the field's ``max_length`` after the
    field's validators were built, so an over-long name would reach the lockout table
    (django-axes, a 255-character column) and fail there with a server error."""

    def clean_username(self) -> str:
        username = str(self.cleaned_data.get("username") or "")  # type: ignore[attr-defined]
        limit = get_user_model()._meta.get_field("username").max_length
        if len(username) > limit:
            raise forms.ValidationError(
                _("A user name has at most %(limit)d characters.") % {"limit": limit},
                code="max_length",
            )
        return username


class LoginForm(_UserNameLength, AuthenticationForm):
    pass


class AdminLoginForm(_UserNameLength, AdminAuthenticationForm):
    pass
