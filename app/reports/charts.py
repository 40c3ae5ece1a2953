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
