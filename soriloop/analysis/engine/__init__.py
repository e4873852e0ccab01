"""Soriloop's offline text analysis. Pure Python: no Django import; frozen dataclasses in/out."""
