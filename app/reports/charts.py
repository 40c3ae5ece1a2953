"""bokeh charts rendered as (script, div) for embedding; BokehJS is served locally (no CDN)."""
from bokeh.embed import components
from bokeh.models import ColumnDataSource, HoverTool, NumeralTickFormatter
from bokeh.plotting import figure


def bar_chart(chart, title, height=320):
    if not chart or not chart.get("x"):
        return None, None
    xs = [str(x) for x in chart["x"]]
    source = ColumnDataSource({"x": xs, "y": chart["y"]})
    fig = figure(x_range=xs, height=height, sizing_mode="stretch_width", title=title,
                 toolbar_location="right", tools="save,reset")
    fig.vbar(x="x", top="y", width=0.7, source=source, color="#1d5fbf")
    fig.add_tools(HoverTool(tooltips=[("", "@x"), (chart.get("y_label", ""), "@y{0,0.[00]}")]))
    fig.y_range.start = 0
    fig.xaxis.major_label_orientation = 0.8 if len(xs) > 6 else 0
    fig.yaxis.axis_label = chart.get("y_label", "")
    fig.yaxis.formatter = NumeralTickFormatter(format="0,0")
    if all(float(y).is_integer() for y in chart["y"]):
        # Counts: ticks at whole numbers only (small counts otherwise get 0.2 steps, shown as "0, 0, 1, 1").
        fig.yaxis.ticker.min_interval = 1
    return components(fig)


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
    source = ColumnDataSource({
        "stage": labels, "count": counts, "left": [-n / 2 for n in counts], "right": [n / 2 for n in counts],
        "text": [f"{label}  {n:,}" for label, n in zip(labels, counts)], "conversion": conversions,
        "x_text": [0] * len(counts), "x_conv": [top / 2 * 1.02] * len(counts)})
    fig = figure(y_range=list(reversed(labels)), height=height, sizing_mode="stretch_width", title=title,
                 toolbar_location="right", tools="save,reset", x_range=(-top / 2 * 1.05, top / 2 * 1.45))
    fig.hbar(y="stage", left="left", right="right", height=0.8, source=source, color="#1d5fbf", alpha=0.85)
    fig.text(x="x_text", y="stage", text="text", source=source, text_align="center", text_baseline="middle",
             text_color="#ffffff", text_font_size="12px", y_offset=0,
             background_fill_color="#1d5fbf", background_fill_alpha=0.0)
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
