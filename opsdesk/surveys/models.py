"""Satisfaction surveys (回复满意度调查) sent after closure."""
