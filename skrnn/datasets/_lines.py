"""Reading the lines of a data file, with errors that name the line."""


def utf8_lines(path, kind):
    """``(number, line)`` of a UTF-8 file (a byte-order mark dropped), each
    line without its line ending; bytes that are not UTF-8 are an error
    naming the line. ``kind`` names the format, for the message."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"{path}:{number}: byte {exc.start + 1} of the line is not UTF-8 "
                    f"({raw[exc.start : exc.start + 1]!r}); {kind} files are UTF-8. "
                    "Re-encode the file."
                ) from None
            yield number, line.rstrip("\r\n")
