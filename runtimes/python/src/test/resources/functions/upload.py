import os

UPLOADS = os.path.join(os.environ["KUBELESS_INSTALL_VOLUME"], "uploads")


def handler(event, context):
    """Saves a multipart upload under uploads/<category>/ and greets, as Kubeless's request example."""
    request = event["extensions"]["request"]
    name = request.get_header("Say-Hello-To", "kubeless")
    greeting = request.query.get("greeting", "Hello")
    folder = os.path.join(UPLOADS, request.forms.get("category"))
    os.makedirs(folder, exist_ok=True)
    upload = request.files.get("upload")
    upload.save(os.path.join(folder, upload.filename), overwrite=True)
    return greeting + " " + name
