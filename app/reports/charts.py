"""bokeh charts rendered as (script, div) for embedding; BokehJS is served locally (no CDN).

Building a bokeh figure and serializing its document costs 40–60 ms of Python per chart, most of a report page's
time. A chart's document depends on its data only through the bar labels and heights, so it is built once per
process for each shape (title, axis label, tick mode, label orientation; bokeh_json_item with placeholder data)
and a request puts its data into a copy of that JSON: < 1 ms. The data is JSON-encoded with <, > and & escaped,
so no text in it (customer names) can end the script element.
"""
import json
import re
import uuid
from functools import lru_cache

from bokeh.embed import json_item
from bokeh.models import ColumnDataSource, HoverTool, NumeralTickFormatter
from bokeh.plotting import figure
from markupsafe import Markup

# Placeholder data of a template: bar labels (the x range's factors as well as the source's x column), heights,
# and the id of the element the chart is drawn into. Neither can be a real label or height: labels are str().
_LABELS, _HEIGHTS, _TARGET = '["\\u0000labels"]', "[-987654321.25]", '"\\u0000target"'
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in (_LABELS, _HEIGHTS, _TARGET)))


def _script_json(value):
    """JSON that is safe inside <script>: no '<', '>' or '&' (so no '</script>' or '<!--' from the data)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                          ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


@lru_cache(maxsize=256)
def _template(title, y_label, whole_numbers, rotated, height):
    """The chart's bokeh JSON item with placeholder data, as text (built once per shape and process)."""
    source = ColumnDataSource({"x": ["\0labels"], "y": [-987654321.25]})
    fig = figure(x_range=["\0labels"], height=height, sizing_mode="stretch_width", title=title,
                 toolbar_location="right", tools="save,reset")
    fig.vbar(x="x", top="y", width=0.7, source=source, color="#1d5fbf")
    fig.add_tools(HoverTool(tooltips=[("", "@x"), (y_label, "@y{0,0.[00]}")]))
    fig.y_range.start = 0
    fig.xaxis.major_label_orientation = 0.8 if rotated else 0
    fig.yaxis.axis_label = y_label
    fig.yaxis.formatter = NumeralTickFormatter(format="0,0")
    if whole_numbers:
        # Counts: ticks at whole numbers only (small counts otherwise get 0.2 steps, shown as "0, 0, 1, 1").
        fig.yaxis.ticker.min_interval = 1
    text = _script_json(json_item(fig, "\0target"))
    found = sorted(_PLACEHOLDER.findall(text))
    assert found == sorted([_LABELS, _LABELS, _HEIGHTS, _TARGET]), found  # a bokeh upgrade moved the data
    return text


def bar_chart(chart, title, height=320):
    if not chart or not chart.get("x"):
        return None, None
    xs = [str(x) for x in chart["x"]]
    ys = [float(y) if not isinstance(y, int) else y for y in chart["y"]]
    template = _template(str(title), str(chart.get("y_label", "")), all(float(y).is_integer() for y in ys),
                         len(xs) > 6, height)
    target = f"chart-{uuid.uuid4().hex[:12]}"
    values = {_LABELS: _script_json(xs), _HEIGHTS: _script_json(ys), _TARGET: _script_json(target)}
    item = _PLACEHOLDER.sub(lambda m: values[m.group(0)], template)  # one pass: data is never re-scanned
    script = Markup(f'<script type="text/javascript">Bokeh.embed.embed_item({item}, {_script_json(target)});'
                    "</script>")
    return script, Markup(f'<div id="{target}" class="bk-root"></div>')
