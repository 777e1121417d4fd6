// The SVG chart library in one include: line, grouped bar and scatter charts.
// Each chart's to_svg() returns a standalone document (xmlns, no prolog) that
// can be written with avr::write_file_atomic or inlined into HtmlReport.
#pragma once

#include "avr/report/bar_chart.h"
#include "avr/report/line_chart.h"
#include "avr/report/plot_style.h"
#include "avr/report/scatter_plot.h"
