"""Other tools' formats, read and written: EmoBox's ``data/<corpus>/`` layout."""

from emobox.interop.emobox import EmoboxData, read_emobox, read_label_map, write_emobox

__all__ = ["EmoboxData", "read_emobox", "read_label_map", "write_emobox"]
