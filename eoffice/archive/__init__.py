"""Files (hồ sơ), retention periods, transfer to the agency archive (nộp lưu), and the text of stored PDFs."""
