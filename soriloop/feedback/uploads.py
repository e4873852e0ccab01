"""An upload handler that stops reading a file past ``IMPORT_MAX_BYTES``.

Django writes an upload to a temporary file before a view sees it; without this, a file of
any size would fill the disk first and be refused only afterwards.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

TOO_LARGE = "upload_too_large"  # set on the request when a file was cut off


def upload_too_large(request: HttpRequest) -> bool:
    return bool(getattr(request, TOO_LARGE, False))


class SizeLimitedUpload(FileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > settings.IMPORT_MAX_BYTES:
            setattr(self.request, TOO_LARGE, True)
            # The rest of the body is read and dropped, so the page can still answer.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        return None  # the next handlers keep the file
