"""The folium elements of a gap map: runtime + payload, one element per layer, and the closing call.

Layers are real :class:`folium.map.Layer` subclasses so folium's LayerControl lists them; their JavaScript
is a single call into ``assets/gapmap.js``, which builds the markers from the payload.
"""

from __future__ import annotations

from typing import Any

from branca.element import MacroElement
from folium.map import Layer
from folium.template import Template

from geoplan.outputs import _assets
from geoplan.outputs._mapdata import script_json

#: id of the ``<script type="application/json">`` holding the payload.
DATA_ID = "geoplan-data"


class Runtime(MacroElement):
    """Leaflet (inlined or linked), the gap-map runtime, the JSON payload, and ``geoplan.init``.

    Parameters
    ----------
    payload : dict
        Everything ``gapmap.js`` draws (see :mod:`geoplan.outputs._mapdata`); hooks may append to
        ``payload["extras"]`` until the map is rendered.
    offline : bool
        Inline Leaflet instead of linking the CDN copy.
    context : dict
        What layer hooks need later: ``text`` (word table), ``crs`` (the audit's metric CRS).
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        {% for tag in this.tags() %}{{ tag }}
        {% endfor %}
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <script type="application/json" id="{{ this.data_id }}">{{ this.payload_json() }}</script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        geoplan.init({{ this._parent.get_name() }}, {{ this.data_id|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, payload: dict[str, Any], offline: bool, context: dict[str, Any]) -> None:
        super().__init__()
        self._name = "GeoplanRuntime"
        self.payload = payload
        self.offline = offline
        self.context = context
        self.data_id = DATA_ID

    def tags(self) -> tuple[str, ...]:
        """Library tags, then the runtime's own CSS/JS (which extends Leaflet at load time)."""
        return _assets.library_tags(self.offline) + _assets.runtime_tags()

    def payload_json(self) -> str:
        """The payload as script-safe JSON."""
        return script_json(self.payload)


class JsLayer(Layer):
    """An overlay built by ``geoplan.layer(key)`` in the page.

    Parameters
    ----------
    key : str
        ``"community:<i>"``, ``"facility:<i>"``, ``"admin:<i>"`` or ``"extra:<i>"``.
    name : str
        Label in the layer control. Leaflet inserts it as HTML, so it must already be escaped.
    show : bool
        Shown when the map opens.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = geoplan.layer({{ this.key|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, key: str, name: str, show: bool) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "GeoplanLayer"
        self.key = key


class Finish(MacroElement):
    """Fit the view to the data and flag the map ready; must come after every layer and the control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        geoplan.finish();
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "GeoplanFinish"
