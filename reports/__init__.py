"""longneck's reports: the audit workbook and comparisons between runs. Takes tables; imports neither
the crawler nor the audit. (The workbook arrives with the audit issue.)"""
