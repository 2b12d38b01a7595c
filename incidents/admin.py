from incidents.importing import admin as _upload_admin  # noqa: F401 - registers the upload admin
