"""Glue between service errors and WTForms: messages land beside their field, input stays as entered."""


def apply_errors(form, errors):
    """Attach {field: [messages]} from a ValidationFailed to the form's fields (unknown fields go to form_errors)."""
    for name, messages in errors.items():
        messages = [messages] if isinstance(messages, str) else list(messages)
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + messages
        else:
            form.form_errors.extend(messages)


def form_data(form, *names):
    """The submitted values of `names` (all fields but the CSRF token when none given), for a service call."""
    wanted = names or [f.name for f in form if f.name != "csrf_token"]
    return {name: getattr(form, name).data for name in wanted}
