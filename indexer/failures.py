"""Why a record has no text, as a code: set where the failure happens, kept in the manifest, read by status.

The words of a failure are for curators and may be reworded at will; the code is what the status
report groups by, so a rewording never moves a record to another group, and a fact known where the
failure happens (a PDF is encrypted, a worker ran out of memory) is never lost on the way.
Each value is the `status.Group.reason` of the group it lands in.
"""

from __future__ import annotations

from enum import StrEnum


class Failure(StrEnum):
    BROKEN = "broken"  # the server answered an error or could not be reached in time
    NOT_A_DOCUMENT = "not-a-document"  # an image, an archive, an empty page
    ENCRYPTED = "encrypted"  # a PDF locked by a password (or whose text its owner locked away)
    NEEDS_OCR = "needs-ocr"  # a PDF without a text layer
    TOO_LARGE = "too-large"  # past the download limit, or the extraction's memory limit
    UNREADABLE = "unreadable"  # damaged, undecodable, or too slow to extract
    NO_LINK = "no-link"  # the catalog says `link: missing` and gives nothing else to index
    OTHER = "other"  # anything else (a refused internal host, a crashed pool)

    @classmethod
    def of(cls, value) -> Failure:
        """The code a manifest holds; one it does not know (an older build's) counts as OTHER."""
        try:
            return cls(value)
        except ValueError:
            return cls.OTHER
