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

from bokeh.embed import components, json_item
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


# A funnel stage narrower than this share of the widest has its label beside the bar: about where the label
# ("开发成功  12") no longer fits inside it on a dashboard 1366 px wide.
NARROW_STAGE = 0.2


def funnel_chart(stages, title, height=300):
    """The opportunity funnel: one centred bar per stage, widest first, each labelled with its count, and the
    conversion from the stage above (as a percentage) between them. stages: [(label, count)] in funnel order."""
    if not stages or not any(n for _label, n in stages):
        return None, None
    labels = [str(label) for label, _n in stages]
    counts = [n for _label, n in stages]
    top = max(counts)
    conversions = [""] + [f"↓ {round(100.0 * n / above)}%" if above else "↓ —"
                          for above, n in zip(counts, counts[1:])]
    texts = [f"{label}  {n:,}" for label, n in zip(labels, counts)]
    source = ColumnDataSource({
        "stage": labels, "count": counts, "left": [-n / 2 for n in counts], "right": [n / 2 for n in counts],
        "conversion": conversions, "x_conv": [top / 2 * 1.02] * len(counts)})
    fig = figure(y_range=list(reversed(labels)), height=height, sizing_mode="stretch_width", title=title,
                 toolbar_location="right", tools="save,reset", x_range=(-top / 2 * 1.05, top / 2 * 1.45))
    fig.hbar(y="stage", left="left", right="right", height=0.8, source=source, fill_color="#1d5fbf", fill_alpha=0.85,
             line_color=None)  # no outline: an empty stage is no bar at all, not a stray line
    # A stage's label sits on its bar in white; a bar too narrow for it (0 succeeded, say) has it beside the bar
    # in dark text, where it can be read.
    narrow = [n < top * NARROW_STAGE for n in counts]
    for outside in (False, True):
        rows = [i for i, is_narrow in enumerate(narrow) if is_narrow == outside]
        if not rows:
            continue
        labelled = ColumnDataSource({"stage": [labels[i] for i in rows], "text": [texts[i] for i in rows],
                                     "x": [counts[i] / 2 + top * 0.01 if outside else 0 for i in rows]})
        fig.text(x="x", y="stage", text="text", source=labelled, text_align="left" if outside else "center",
                 text_baseline="middle", text_color="#1f2933" if outside else "#ffffff", text_font_size="12px")
    # The conversion from the stage above sits at the upper edge of each stage's bar, to the right of the funnel.
    fig.text(x="x_conv", y="stage", text="conversion", source=source, text_align="left", text_baseline="bottom",
             text_color="#3e4c59", text_font_size="12px", y_offset=-14)
    fig.add_tools(HoverTool(tooltips=[("", "@stage"), ("", "@count{0,0}"), ("", "@conversion")]))
    fig.xaxis.visible = False
    fig.xgrid.grid_line_color = None
    fig.ygrid.grid_line_color = None
    return components(fig)


def grouped_bar_chart(chart, title, height=340):
    """Bars grouped by `x` (e.g. years), one bar per group member (e.g. managers), in their own colours with a
    legend; bars keep a sensible width however few groups there are. chart: {"x": [...], "groups": [...],
    "values": {(x, group): n}, "y_label"}."""
    from bokeh.models import FactorRange
    from bokeh.palettes import Category10_10
    if not chart or not chart.get("x") or not chart.get("groups"):
        return None, None
    xs, groups = [str(x) for x in chart["x"]], [str(g) for g in chart["groups"]]
    factors = [(x, g) for x in xs for g in groups]
    values = {(str(x), str(g)): n for (x, g), n in chart["values"].items()}
    source = ColumnDataSource({"factor": factors, "y": [values.get(f, 0) for f in factors],
                               "group": [g for _x, g in factors], "x": [x for x, _g in factors],
                               "color": [Category10_10[groups.index(g) % 10] for _x, g in factors]})
    fig = figure(x_range=FactorRange(*factors, range_padding=max(0.0, 0.5 - 0.05 * len(factors))),
                 height=height, sizing_mode="stretch_width", title=title, toolbar_location="right",
                 tools="save,reset")
    fig.vbar(x="factor", top="y", width=0.8, source=source, color="color", legend_field="group")
    fig.add_tools(HoverTool(tooltips=[("", "@x · @group"), (chart.get("y_label", ""), "@y{0,0}")]))
    fig.y_range.start = 0
    fig.yaxis.axis_label = chart.get("y_label", "")
    fig.yaxis.formatter = NumeralTickFormatter(format="0,0")
    fig.yaxis.ticker.min_interval = 1
    fig.xgrid.grid_line_color = None
    fig.legend.location = "top_left"
    fig.legend.orientation = "horizontal"
    fig.xaxis.major_label_orientation = 0.8 if len(factors) > 12 else 0
    return components(fig)
