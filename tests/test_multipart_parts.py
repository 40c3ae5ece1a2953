"""A multipart upload whose parts lack a name or a file name answers a field error, never a server error
(issue 13, item 8; schemathesis found the 500)."""
import pytest

MULTIPART = {"Content-Type": "multipart/form-data; boundary=XX"}
NAMELESS = b'--XX\r\nContent-Disposition: form-data\r\n\r\nabc\r\n--XX--\r\n'
NAMELESS_FILE = b'--XX\r\nContent-Disposition: form-data; filename="a.csv"\r\n\r\nabc\r\n--XX--\r\n'
NO_FILE_NAME = (b'--XX\r\nContent-Disposition: form-data; name="file"\r\nContent-Type: text/csv\r\n\r\n'
                b'order_no,customer_no\r\n--XX--\r\n')


@pytest.mark.parametrize("body", [NAMELESS, NAMELESS_FILE, NO_FILE_NAME])
def test_api_import_answers_a_field_error(api, body):
    c, headers = api("admin")
    resp = c.post("/api/v1/orders/import", headers={**headers, **MULTIPART}, data=body)
    assert resp.status_code == 422
    problem = resp.get_json()
    assert problem["code"] == "validation_error" and problem["errors"]


@pytest.mark.parametrize("body", [NAMELESS, NAMELESS_FILE, NO_FILE_NAME])
def test_page_import_answers_a_field_error(login, body):
    c = login("admin")
    resp = c.post("/catalog/orders/import", headers=MULTIPART, data=body)
    assert resp.status_code == 422
    assert "error" in resp.get_data(as_text=True)


def test_a_nameless_part_on_any_form_says_so(login):
    c = login("admin")
    resp = c.post("/catalog/dictionary/new", headers=MULTIPART, data=NAMELESS)
    assert resp.status_code == 422
    assert "字段名" in resp.get_data(as_text=True)
